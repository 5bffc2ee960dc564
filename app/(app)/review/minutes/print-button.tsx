'use client';
/** Opens the browser's print dialog (the page has print CSS: no navigation, one case per page). */
export function PrintButton() {
  return (
    <button type="button" className="secondary" onClick={() => window.print()}>
      Print minutes
    </button>
  );
}
