// Loaded before every test file. Under `npm run coverage:native` (NETSANDBOX_GCOV set) vitest's
// SIGTERM to its forks becomes a normal exit, so gcov writes the addon's counts; a kill by signal
// would lose them.
if (process.env.NETSANDBOX_GCOV && process.listenerCount('SIGTERM') === 0) {
  process.on('SIGTERM', () => process.exit());
}
