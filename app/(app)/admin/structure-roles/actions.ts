'use server';
/**
 * Server actions of /admin/structure-roles: add a site rule, disable or enable one. The data
 * layer authorises (structure-roles:manage), writes the new version and audits; Next.js checks
 * the Origin of a server action (docs/security.md). The page shows the outcome from the URL.
 */
import { redirect } from 'next/navigation';
import { db } from '@/lib/server/db/client';
import { getCaller } from '@/lib/server/auth/get-caller';
import { toActionError } from '@/lib/server/errors';
import { formText } from '@/lib/server/http/form-text';
import { changeStructureRules } from '@/lib/server/structure-roles/change-structure-rules';

function back(kind: 'done' | 'error', message: string): never {
  redirect(`/admin/structure-roles?${kind}=${encodeURIComponent(message)}`);
}

async function attempt(run: () => Promise<string>): Promise<never> {
  let message: string;
  try {
    message = await run();
  } catch (e) {
    const failed = toActionError(e);
    back('error', failed.code === 'INTERNAL' ? 'The change failed on the server; the server log has details. Nothing was changed.' : failed.error);
  }
  back('done', message);
}

const text = formText;

export async function addStructureRuleAction(form: FormData): Promise<void> {
  await attempt(async () => {
    const r = await changeStructureRules(db(), {
      caller: await getCaller(),
      input: {
        change: 'add',
        match: text(form, 'match'),
        pattern: text(form, 'pattern'),
        role: text(form, 'role'),
        phasePercent: text(form, 'phasePercent'),
        note: text(form, 'note'),
        basedOnVersion: text(form, 'basedOnVersion'),
      },
    });
    return `Version ${r.version}: ${r.summary}. Imports from now on use it.`;
  });
}

export async function toggleStructureRuleAction(form: FormData): Promise<void> {
  await attempt(async () => {
    const change = text(form, 'change') === 'enable' ? 'enable' : 'disable';
    const r = await changeStructureRules(db(), {
      caller: await getCaller(),
      input: { change, ruleId: text(form, 'ruleId'), basedOnVersion: text(form, 'basedOnVersion') },
    });
    return `Version ${r.version}: ${r.summary}.`;
  });
}
