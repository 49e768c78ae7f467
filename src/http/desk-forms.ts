import type { z } from "zod";
import type { FieldError } from "./problem.ts";
import { fieldErrors } from "./request.ts";

/** What an editor typed, by field name, to fill a form again after a refusal. */
export type FormValues = Readonly<Record<string, string | readonly string[]>>;

/** The API's messages, by the desk form field they belong to. */
export type FormErrors = ReadonlyMap<string, readonly string[]>;

export type FormOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errors: FormErrors };

/** Form field names of the JSON Pointers the admin API uses, where they differ. */
const FIELD_OF_POINTER: Readonly<Record<string, string>> = {
  "/image": "imageUrl",
  "/image/url": "imageUrl",
  "/image/alt": "imageAlt",
  "/authors": "author",
  "/authors/0/name": "author",
};

/** `/tags/3` -> `tags`, `/image/alt` -> `imageAlt`, `/` -> `form` (the form as a whole). */
export function fieldOfPointer(pointer: string): string {
  const known = FIELD_OF_POINTER[pointer];
  if (known) return known;
  const first = pointer.split("/")[1];
  return first ? first : "form";
}

/** The API's field errors, grouped by form field. */
export function groupErrors(errors: readonly FieldError[]): FormErrors {
  const grouped = new Map<string, string[]>();
  for (const error of errors) {
    const field = fieldOfPointer(error.pointer);
    grouped.set(field, [...(grouped.get(field) ?? []), error.detail]);
  }
  return grouped;
}

/** Validates the JSON a form stands for with the admin API's own schema. */
export function validateWith<S extends z.ZodType>(
  schema: S,
  json: unknown,
): FormOutcome<z.output<S>> {
  const parsed = schema.safeParse(json);
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, errors: groupErrors(fieldErrors(parsed.error.issues)) };
}

export function formValues(form: URLSearchParams, multiple: readonly string[] = []): FormValues {
  const values: Record<string, string | string[]> = {};
  for (const key of new Set(form.keys())) {
    if (key === "_csrf") continue;
    values[key] = multiple.includes(key) ? form.getAll(key) : (form.get(key) ?? "");
  }
  return values;
}

/** A form text field: trimmed, and absent when left empty. */
export function optionalText(form: URLSearchParams, name: string): string | undefined {
  const value = form.get(name)?.trim();
  return value ? value : undefined;
}

/** A comma-separated list (tags): trimmed, empty entries dropped. */
export function listField(form: URLSearchParams, name: string): string[] {
  return (form.get(name) ?? "")
    .split(",")
    .map((value) => value.trim())
    .filter((value) => value.length > 0);
}

/**
 * A `datetime-local` value is read as UTC (the desk says so next to the field); anything else
 * is passed on as typed, for the API's schema to judge.
 */
export function utcDateTime(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value)) return `${value}:00Z`;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value)) return `${value}Z`;
  return value;
}
