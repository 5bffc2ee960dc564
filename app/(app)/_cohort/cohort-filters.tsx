/**
 * The cohort filters as a GET form: the URL is the state, so any view can be linked. <GetForm>
 * shows the page is loading ("Applying…") until the filtered cohort has rendered.
 */
import { db } from '@/lib/server/db/client';
import type { Caller } from '@/lib/server/auth/roles';
import { findCohortFilterOptions } from '@/lib/server/cohort/find-cohort-filter-options';
import type { CohortQuery } from '@/lib/server/cohort/find-cohort-cases.types';
import { GetForm, GetSubmitButton } from '@/components/get-form';

function Select({ name, label, value, options }: { name: string; label: string; value: string | null; options: { value: string; label: string }[] }) {
  return (
    <label>
      {label}
      <select name={name} defaultValue={value ?? ''}>
        <option value="">All</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

export async function CohortFilters({ caller, query, datesShifted }: { caller: Caller; query: CohortQuery; datesShifted: boolean }) {
  const o = await findCohortFilterOptions(db(), { caller });
  return (
    <GetForm action="/" className="card cohort-filters" data-testid="cohort-filters">
      <Select name="institution" label="Institution" value={query.institution} options={o.institutions.map((i) => ({ value: i.id, label: i.name }))} />
      <label>
        Study date from{datesShifted ? ' (shifted)' : ''}
        <input type="date" name="from" defaultValue={query.from ?? ''} />
      </label>
      <label>
        to
        <input type="date" name="to" defaultValue={query.to ?? ''} />
      </label>
      <Select name="model" label="Model version" value={query.model} options={o.models.map((m) => ({ value: m.id, label: m.label }))} />
      <Select name="physician" label="Physician" value={query.physician} options={o.physicians.map((p) => ({ value: p, label: p }))} />
      <Select name="scanner" label="Scanner" value={query.scanner} options={o.scanners.map((s) => ({ value: s, label: s }))} />
      {query.sort !== 'flags' || query.dir !== 'desc' ? (
        <>
          <input type="hidden" name="sort" value={query.sort} />
          <input type="hidden" name="dir" value={query.dir} />
        </>
      ) : null}
      <div className="cohort-filter-buttons">
        <GetSubmitButton pendingLabel="Applying…">Apply filters</GetSubmitButton>
        <a href="/">Clear</a>
      </div>
    </GetForm>
  );
}
