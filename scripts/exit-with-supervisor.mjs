/**
 * Preloaded (`node --import`) into the web server and worker that `npm start` runs: when the
 * supervisor (scripts/start.ts) is gone, killed without a chance to stop its children, this
 * process stops itself as on SIGTERM instead of running on with no one to restart or stop it.
 * The supervisor passes its pid in ISEG_SUPERVISOR_PID; removed here so that no grandchild
 * inherits it.
 */
const supervisor = Number(process.env.ISEG_SUPERVISOR_PID);
delete process.env.ISEG_SUPERVISOR_PID;
if (Number.isInteger(supervisor) && supervisor > 0) {
  const timer = setInterval(() => {
    if (process.ppid !== supervisor) {
      clearInterval(timer);
      console.error(`[iseg-qa] pid ${process.pid}: the npm start supervisor (pid ${supervisor}) is gone; stopping.`);
      process.kill(process.pid, 'SIGTERM');
    }
  }, 1000);
  timer.unref();
}
