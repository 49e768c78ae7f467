import { z } from "zod";
import { cleanText } from "../content/sanitize-html.ts";

/** Free text: cleaned of characters that cannot appear in XML, trimmed, bounded. */
export const plainText = (max: number) =>
  z
    .string()
    .transform((value) => cleanText(value).trim())
    .pipe(z.string().min(1, "must not be empty").max(max, `must be at most ${max} characters`));

export const optionalPlainText = (max: number) =>
  z
    .string()
    .transform((value) => cleanText(value).trim())
    .pipe(z.string().max(max, `must be at most ${max} characters`));

export const absoluteHttpUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .describe("absolute http(s) URL");

/** BCP 47 language tag, e.g. `en`, `en-GB`, `pt-BR`, `zh-Hant`. */
export const languageTag = z
  .string()
  .regex(
    /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/,
    "must be a BCP 47 language tag such as en or en-GB",
  );
