import type * as Jose from 'jose' with { 'resolution-mode': 'import' };

export type JoseModule = typeof Jose;

let loading: Promise<JoseModule> | undefined;

/**
 * `jose` ships as ES modules only; this package compiles to CommonJS so any Nest service can
 * require it. A native dynamic import (kept as such by `module: node16`) loads it once.
 */
export function loadJose(): Promise<JoseModule> {
  loading ??= import('jose');
  return loading;
}
