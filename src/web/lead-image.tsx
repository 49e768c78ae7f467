import type { LeadImage as LeadImageData } from "../domain/article.ts";

/** The lead image with its caption and credit; `lazy` when it is behind a content warning
 * or down a live story's stream. */
export function LeadImage(props: { image: LeadImageData; lazy?: boolean }) {
  const { image } = props;
  return (
    <figure>
      <img src={image.url} alt={image.alt} {...(props.lazy ? { loading: "lazy" } : {})} />
      {image.caption || image.credit ? (
        <figcaption>
          {image.caption}
          {image.caption && image.credit ? " " : ""}
          {image.credit ? <span class="credit">Photo: {image.credit}</span> : null}
        </figcaption>
      ) : null}
    </figure>
  );
}
