/**
 * /models: the model folders installed on this server (ISEG_MODELS_DIR) with their checks and
 * model cards, the model versions that produced runs (with run counts), and which model each
 * live worker serves. Administrators can queue every study without a run of a model.
 */
import { Suspense } from 'react';
import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can, type Caller } from '@/lib/server/auth/roles';
import { env } from '@/lib/server/env';
import { findModels } from '@/lib/server/models/find-models';
import { SegmentAllButton } from './segment-all-button';

export const dynamic = 'force-dynamic';

// Spacing like 3.3333333333333335 mm reads as 3.333.
const xyz = (v: number[] | null, unit = '') => (v ? v.map((x) => String(Number(x.toFixed(3)))).join(' × ') + unit : '—');

async function ModelsBody({ caller }: { caller: Caller }) {
  const { installed, registered, workers } = await findModels(db(), { caller, defaultModel: env().ISEG_MODEL });
  const mayManageModels = can(caller.role, 'models:manage');
  return (
    <>
      <h2>Installed models</h2>
      {installed.length === 0 && (
        <div className="card" data-testid="no-models">
          <p>
            No model folder is installed. Add <code>models/&lt;name&gt;/model.onnx</code> with its <code>manifest.json</code> (see <code>models/README.md</code>
            ) and set <code>ISEG_MODEL=&lt;name&gt;</code>, then restart the workers.
          </p>
        </div>
      )}
      {installed.map((m) => {
        const serving = workers.filter((w) => w.model?.name === m.name && w.model?.sha256 === m.sha256);
        return (
          <section key={m.folder} className="card models-card" data-testid="installed-model" data-folder={m.folder}>
            <div className="models-title">
              <h3>
                {m.name ?? m.folder} <span className="muted">{m.version ?? ''}</span>
              </h3>
              {m.isDefault && <span className="models-tag">default (ISEG_MODEL)</span>}
              {m.verified ? (
                <span className="models-ok" data-testid="verified">
                  ✓ sha256 verified
                </span>
              ) : (
                <span className="error" data-testid="not-verified">
                  ✗ {m.problem?.code ?? 'not verified'}
                </span>
              )}
            </div>
            {m.description && <p>{m.description}</p>}
            {!m.verified && m.problem && (
              <p className="error" role="alert">
                {m.problem.message}
              </p>
            )}
            <dl className="models-facts">
              <dt>Folder</dt>
              <dd>
                <code>{m.folder}</code>
              </dd>
              <dt>sha256</dt>
              <dd>
                <code className="models-hash" data-testid="model-sha256">
                  {m.sha256 ?? '—'}
                </code>
              </dd>
              <dt>Intended structure</dt>
              <dd>{m.intendedStructure ?? '—'}</dd>
              <dt>Tensors</dt>
              <dd>
                {m.inputName ? (
                  <>
                    input <code>{m.inputName}</code> ({m.layout}) → output <code>{m.outputName}</code>{' '}
                    <span className="muted">
                      {serving.length > 0
                        ? `(checked against the ONNX session by ${serving.length} live worker${serving.length > 1 ? 's' : ''})`
                        : '(checked against the ONNX session when a worker loads it)'}
                    </span>
                  </>
                ) : (
                  '—'
                )}
              </dd>
              <dt>Patch size</dt>
              <dd>{xyz(m.patchSizeXyz, ' voxels (x × y × z)')}</dd>
              <dt>Target spacing</dt>
              <dd>{xyz(m.targetSpacingMm, ' mm')}</dd>
              <dt>Live workers</dt>
              <dd>
                {serving.length === 0 ? (
                  <span className="muted">none serve this model</span>
                ) : (
                  serving.map((w) => `${w.host} (pid ${w.pid}, ${w.provider})`).join(', ')
                )}
              </dd>
            </dl>
            {m.modelCard && (
              <details className="models-card-text">
                <summary>Model card (MODEL_CARD.md)</summary>
                <pre>{m.modelCard}</pre>
              </details>
            )}
            {mayManageModels && m.verified && <SegmentAllButton folder={m.folder} label={`${m.name} ${m.version}`} />}
          </section>
        );
      })}

      <h2>Model versions that produced runs</h2>
      {registered.length === 0 ? (
        <p className="muted">None yet: a version is recorded when its first run is queued.</p>
      ) : (
        <div className="card">
          <table data-testid="registered-models">
            <thead>
              <tr>
                <th>Model</th>
                <th>sha256</th>
                <th className="num">Succeeded</th>
                <th className="num">Queued / running</th>
                <th className="num">Failed</th>
                <th className="num">Cancelled</th>
                <th>Installed</th>
                <th>Workers</th>
              </tr>
            </thead>
            <tbody>
              {registered.map((v) => (
                <tr key={v.id}>
                  <td>
                    {v.name}@{v.version}
                  </td>
                  <td>
                    <code className="models-hash">{v.sha256}</code>
                  </td>
                  <td className="num">{v.runs.SUCCEEDED}</td>
                  <td className="num">
                    {v.runs.QUEUED} / {v.runs.RUNNING}
                  </td>
                  <td className="num">{v.runs.FAILED > 0 ? <Link href="/jobs?status=FAILED">{v.runs.FAILED}</Link> : 0}</td>
                  <td className="num">{v.runs.CANCELLED}</td>
                  <td>{v.installedFolder ? <code>{v.installedFolder}</code> : <span className="muted">not installed (file differs or missing)</span>}</td>
                  <td className="num">{v.workers.length}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export default async function ModelsPage() {
  const caller = await requireCaller();
  if (!can(caller.role, 'jobs:view')) {
    return (
      <>
        <h1>Models</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not view models. Ask a physicist or an administrator.</p>
        </div>
      </>
    );
  }
  return (
    <>
      <h1>Models</h1>
      <p className="muted">
        Each run records the model name, version and the sha256 of its ONNX file. Workers check the file against its manifest at start-up and refuse a mismatch
        (the runs queued for it then fail with the reason on the <Link href="/jobs">jobs page</Link>).
      </p>
      <Suspense fallback={<p className="muted">Checking model files…</p>}>
        <ModelsBody caller={caller} />
      </Suspense>
    </>
  );
}
