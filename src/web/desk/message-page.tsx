import { type DeskChrome, DeskLayout } from "./desk-layout.tsx";

/** A refusal or a missing story, said plainly, with the way back. */
export function MessagePage(props: { chrome: DeskChrome; title: string; message: string }) {
  return (
    <DeskLayout title={props.title} chrome={props.chrome}>
      <h1>{props.title}</h1>
      <p>{props.message}</p>
      <p>
        <a href="/desk">Back to the overview</a>
      </p>
    </DeskLayout>
  );
}
