/**
 * The viewer's keyboard shortcuts, as the viewer handles them (study-viewer.tsx) and lists them
 * in the UI ("?" / the Shortcuts button). docs/viewer.md repeats this table.
 */
import styles from './viewer.module.css';

export const SHORTCUTS: { keys: string[]; what: string }[] = [
  { keys: ['↑', '↓', '←', '→'], what: 'next / previous slice of the large view (of the focused view when one has focus)' },
  { keys: ['PgUp', 'PgDn'], what: '10 slices on / back' },
  { keys: ['+', '−'], what: 'zoom every view in / out (Ctrl or ⌘ + wheel zooms one view about the pointer)' },
  { keys: ['0'], what: 'reset zoom and pan' },
  { keys: ['1', '2', '3'], what: 'large layout with the axial / coronal / sagittal view large' },
  { keys: ['L'], what: 'switch between three views in a row and the large layout' },
  { keys: ['P'], what: 'drag pans instead of moving the crosshair (Shift + drag always pans)' },
  { keys: ['F'], what: 'full-screen presenter mode (Esc leaves)' },
  { keys: ['D'], what: 'dose colour-wash on / off (studies with a dose grid)' },
  { keys: ['I'], what: 'isodose lines on / off' },
  { keys: ['?'], what: 'show / hide this list' },
];

export function ShortcutsList() {
  return (
    <dl className={styles.shortcuts} data-testid="shortcuts">
      {SHORTCUTS.map((s) => (
        <div key={s.what} style={{ display: 'contents' }}>
          <dt>
            {s.keys.map((k) => (
              <kbd key={k} className={styles.kbd}>
                {k}
              </kbd>
            ))}
          </dt>
          <dd>{s.what}</dd>
        </div>
      ))}
    </dl>
  );
}
