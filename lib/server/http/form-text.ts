/**
 * A text field of a server action's form. Anyone can call a server action with a forged body
 * (JSON, a string, nothing), so the "form" argument is untrusted: anything that is not FormData,
 * and a file where text was expected, reads as missing. The operation's own validation then
 * answers with its clear message instead of a TypeError in the server log.
 */
export function formText(form: unknown, name: string): string | undefined {
  if (!(form instanceof FormData)) return undefined;
  const value = form.get(name);
  return typeof value === 'string' ? value : undefined;
}
