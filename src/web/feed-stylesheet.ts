/**
 * The XSLT 1.0 stylesheet that RSS and Atom documents reference (`<?xml-stylesheet?>`), so a
 * browser opening a feed shows a page explaining what a feed is and how to subscribe, while feed
 * readers, which ignore the instruction, get the same XML as before.
 *
 * Atom titles are `type="html"` (escaped markup), and XSLT 1.0 cannot parse markup, so the
 * `unescape` template turns the four escapes our feeds write back into characters; the result is
 * output as text, so nothing in a title can become markup.
 */
export const FEED_STYLESHEET = `<?xml version="1.0" encoding="utf-8"?>
<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom">
<xsl:output method="html" encoding="utf-8" doctype-system="about:legacy-compat" indent="no"/>

<xsl:template match="/">
  <xsl:variable name="atom" select="boolean(atom:feed)"/>
  <xsl:variable name="title">
    <xsl:choose>
      <xsl:when test="$atom"><xsl:call-template name="unescape"><xsl:with-param name="text" select="atom:feed/atom:title"/></xsl:call-template></xsl:when>
      <xsl:otherwise><xsl:value-of select="rss/channel/title"/></xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="self" select="rss/channel/atom:link[@rel='self']/@href | atom:feed/atom:link[@rel='self']/@href"/>
  <xsl:variable name="page" select="rss/channel/link | atom:feed/atom:link[@rel='alternate']/@href"/>
  <!-- RFC 5005 archive pages: the feed and each page link the next older one, pages the newer. -->
  <xsl:variable name="older" select="rss/channel/atom:link[@rel='prev-archive']/@href | atom:feed/atom:link[@rel='prev-archive']/@href"/>
  <xsl:variable name="newer" select="rss/channel/atom:link[@rel='next-archive']/@href | atom:feed/atom:link[@rel='next-archive']/@href"/>
  <html lang="{rss/channel/language | atom:feed/@xml:lang}">
    <head>
      <meta charset="utf-8"/>
      <meta name="viewport" content="width=device-width, initial-scale=1"/>
      <title><xsl:value-of select="$title"/> (web feed)</title>
      <link rel="stylesheet" href="/assets/site.css"/>
    </head>
    <body>
      <header class="site-header"><a href="/">Feeds</a></header>
      <main id="content">
        <p class="notice"><strong>This is a web feed</strong>, also known as an
          <xsl:choose><xsl:when test="$atom">Atom</xsl:when><xsl:otherwise>RSS</xsl:otherwise></xsl:choose>
          feed. Subscribe by copying the address from your browser's address bar into your feed
          reader, and new stories arrive there as they are published.</p>
        <h1><xsl:value-of select="$title"/></h1>
        <p><xsl:value-of select="rss/channel/description | atom:feed/atom:subtitle"/></p>
        <section class="subscribe" aria-labelledby="how">
          <h2 id="how">How to subscribe</h2>
          <p>Feed address to paste into a feed reader:</p>
          <p><code><xsl:value-of select="$self"/></code></p>
          <p>No feed reader? Visit <a href="{$page}">the feed's page</a> to read the stories on
            the web or to follow this feed from Mastodon and other fediverse servers.</p>
        </section>
        <section aria-labelledby="latest">
          <h2 id="latest">Latest stories</h2>
          <ul class="stories">
            <xsl:for-each select="rss/channel/item">
              <li>
                <a href="{link}"><xsl:value-of select="title"/></a>
                <p class="meta"><xsl:value-of select="pubDate"/></p>
              </li>
            </xsl:for-each>
            <xsl:for-each select="atom:feed/atom:entry">
              <li>
                <a href="{atom:link[@rel='alternate']/@href}"><xsl:call-template name="unescape"><xsl:with-param name="text" select="atom:title"/></xsl:call-template></a>
                <p class="meta"><xsl:value-of select="atom:published"/></p>
              </li>
            </xsl:for-each>
          </ul>
          <xsl:if test="$older or $newer">
            <nav class="archive-links" aria-label="History">
              <xsl:if test="$newer"><a href="{$newer}" rel="next-archive">Newer stories</a></xsl:if>
              <xsl:if test="$newer and $older"><xsl:text> · </xsl:text></xsl:if>
              <xsl:if test="$older"><a href="{$older}" rel="prev-archive">Older stories</a></xsl:if>
            </nav>
          </xsl:if>
        </section>
      </main>
    </body>
  </html>
</xsl:template>

<xsl:template name="unescape">
  <xsl:param name="text"/>
  <xsl:call-template name="replace">
    <xsl:with-param name="text">
      <xsl:call-template name="replace">
        <xsl:with-param name="text">
          <xsl:call-template name="replace">
            <xsl:with-param name="text">
              <xsl:call-template name="replace">
                <xsl:with-param name="text" select="$text"/>
                <xsl:with-param name="from" select="'&amp;lt;'"/>
                <xsl:with-param name="to" select="'&lt;'"/>
              </xsl:call-template>
            </xsl:with-param>
            <xsl:with-param name="from" select="'&amp;gt;'"/>
            <xsl:with-param name="to" select="'&gt;'"/>
          </xsl:call-template>
        </xsl:with-param>
        <xsl:with-param name="from" select="'&amp;quot;'"/>
        <xsl:with-param name="to" select="'&quot;'"/>
      </xsl:call-template>
    </xsl:with-param>
    <xsl:with-param name="from" select="'&amp;amp;'"/>
    <xsl:with-param name="to" select="'&amp;'"/>
  </xsl:call-template>
</xsl:template>

<xsl:template name="replace">
  <xsl:param name="text"/>
  <xsl:param name="from"/>
  <xsl:param name="to"/>
  <xsl:choose>
    <xsl:when test="contains($text, $from)">
      <xsl:value-of select="substring-before($text, $from)"/>
      <xsl:value-of select="$to"/>
      <xsl:call-template name="replace">
        <xsl:with-param name="text" select="substring-after($text, $from)"/>
        <xsl:with-param name="from" select="$from"/>
        <xsl:with-param name="to" select="$to"/>
      </xsl:call-template>
    </xsl:when>
    <xsl:otherwise><xsl:value-of select="$text"/></xsl:otherwise>
  </xsl:choose>
</xsl:template>
</xsl:stylesheet>
`;
