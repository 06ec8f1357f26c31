// The `#/shared?link=…` route that opens a `revlens://` share link (from the Team page's
// form, or from the desktop shell when the OS hands the app a link).

/** The share link of a `#/shared?link=…` route (the `revlens://` link, decoded), or null. */
export function sharedLinkFromHash(hash: string): string | null {
  const at = hash.indexOf('?');
  if (at < 0) return null;
  const link = new URLSearchParams(hash.slice(at + 1)).get('link');
  return link && link.trim() ? link.trim() : null;
}

/** The route that opens a share link in the read-only Shared dashboard view. */
export function sharedHash(link: string): string {
  return `#/shared?${new URLSearchParams({ link: link.trim() }).toString()}`;
}
