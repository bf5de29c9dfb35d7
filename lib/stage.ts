/** A deployment stage name: short, lower-case, usable in resource names (`rampart-<stage>`). */
const STAGE = /^[a-z][a-z0-9-]{0,15}$/;

/** The stage deployed when the `stage` context is not set. */
export const DEFAULT_STAGE = 'prod';

/** Checks a stage name; a bad one is a misconfiguration and stops the synth with a clear message. */
export function assertStage(stage: string): string {
  if (!STAGE.test(stage)) throw new Error(`Invalid stage "${stage}": use 1-16 lower-case letters, digits or dashes, starting with a letter`);
  return stage;
}
