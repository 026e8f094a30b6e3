/** Each test file drops its own database; nothing is shared across files. */
export default function globalTeardown(): void {}
