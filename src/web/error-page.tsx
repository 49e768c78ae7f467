import { Layout } from "./layout.tsx";

/** 404, 410 and bad-input pages for browsers (API clients get problem+json instead). */
export function ErrorPage(props: {
  status: 400 | 404 | 410;
  title: string;
  message: string;
  publicUrl: string;
  siteName: string;
}) {
  const { publicUrl, siteName } = props;
  const head = { title: props.title, lang: "en", siteName, publicUrl };
  return (
    <Layout head={head}>
      <h1>{props.title}</h1>
      <p>{props.message}</p>
      <p>
        <a href={`${publicUrl}/`}>See all feeds</a>
      </p>
      <p class="meta">HTTP {props.status}</p>
    </Layout>
  );
}
