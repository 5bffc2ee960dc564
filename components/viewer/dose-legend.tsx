/**
 * The legend of the dose on the CT views: the colour-wash scale (from its threshold to its top,
 * in Gy) and the isodose lines (percent of the prescription, or of Dmax without one, and their
 * dose). lib/core/viewer/dose-slice.ts makes the levels; docs/dose.md states the conventions.
 */
import type { DoseDisplay } from '@/lib/core/viewer';
import styles from './viewer.module.css';

export function DoseLegend({ display, unit, wash, isodoses }: { display: DoseDisplay; unit: string; wash: boolean; isodoses: boolean }) {
  const ref =
    display.reference === 'prescription' ? `prescription ${display.referenceGy} ${unit}` : `Dmax ${display.referenceGy.toFixed(1)} ${unit} (no prescription)`;
  return (
    <div className={styles.doseLegend} data-testid="dose-legend">
      {wash && (
        <span data-testid="dose-wash-scale">
          Dose {display.washFromGy.toFixed(1)}
          <span className={styles.doseBar} aria-hidden />
          {display.washToGy.toFixed(1)} {unit}{' '}
          <span className="muted">(wash from 10 % of the {display.reference === 'prescription' ? 'prescription' : 'Dmax'})</span>
        </span>
      )}
      {isodoses && (
        <span data-testid="isodose-legend">
          Isodoses, % of {ref}:{' '}
          {display.isodoses.map((i) => (
            <span key={i.percent} style={{ marginRight: '0.6rem', whiteSpace: 'nowrap' }}>
              <span className={styles.isoSwatch} style={{ borderColor: `rgb(${i.color.join(',')})` }} aria-hidden />
              {i.percent} % ({i.doseGy.toFixed(1)} {unit})
            </span>
          ))}
        </span>
      )}
    </div>
  );
}
