/**
 * How `npm start` restarts a child that died (web server, worker, embedded Postgres): after a
 * pause that doubles with each death soon after starting (1 s, 2 s, 4 s … at most 30 s), and not
 * at all after MAX_QUICK_DEATHS such deaths in a row, since restarting then only hides a cause
 * that needs a person. A child that ran for STABLE_MS or longer before dying starts the count anew.
 */
export const STABLE_MS = 30_000;
export const MAX_QUICK_DEATHS = 5;
export const MAX_PAUSE_MS = 30_000;

export class RestartPolicy {
  private quickDeaths = 0;
  private startedAt = 0;
  constructor(private readonly now: () => number = Date.now) {}
  /** Call when the child (re)starts. */
  started(): void {
    this.startedAt = this.now();
  }
  /** Records a death: the pause before restarting, or null when it must not be restarted. */
  died(): number | null {
    const quick = this.now() - this.startedAt < STABLE_MS;
    this.quickDeaths = quick ? this.quickDeaths + 1 : 1;
    if (quick && this.quickDeaths >= MAX_QUICK_DEATHS) return null;
    return Math.min(MAX_PAUSE_MS, 1000 * 2 ** (this.quickDeaths - 1));
  }
}
