import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Client } from 'pg';

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise((done) => probe.close(done));
  return port;
}

export interface Certificates {
  /** The CA that signed the servers' certificate. */
  caFile: string;
  /** A CA that signed nothing here: trusting only it must refuse the servers. */
  otherCaFile: string;
  certFile: string;
  keyFile: string;
}

const openssl = (cwd: string, ...args: string[]) =>
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

/** A throwaway CA and a server certificate for 127.0.0.1 and localhost, made with openssl. */
export function createCertificates(dir: string): Certificates {
  for (const ca of ['ca', 'other-ca']) {
    openssl(
      dir,
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=auth-service test ${ca}`,
      '-keyout',
      `${ca}.key`,
      '-out',
      `${ca}.pem`,
    );
  }
  openssl(
    dir,
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  );
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'server.ext',
    '-out',
    'server.pem',
  );
  return {
    caFile: join(dir, 'ca.pem'),
    otherCaFile: join(dir, 'other-ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
  };
}

/** Polls `ready` until it resolves true, or fails with what the process said. */
async function untilReady(
  name: string,
  child: ChildProcess,
  output: () => string,
  ready: () => Promise<boolean>,
): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`${name} exited:\n${output()}`);
    if (await ready().catch(() => false)) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${name} did not start:\n${output()}`);
}

export interface RunningServer {
  port: number;
  stop(): Promise<void>;
}

/** Stops `child` (by signalling `pid`, the server itself when `child` is a wrapper) and waits for it. */
function stopper(child: ChildProcess, signal: NodeJS.Signals, pid: () => number | undefined) {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      process.kill(pid() ?? child.pid ?? 0, signal);
      await exited;
    }
  };
}

/** A redis-server of its own that accepts TLS only, on a free loopback port. */
export async function startTlsRedis(certificates: Certificates): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--tls-cert-file',
      certificates.certFile,
      '--tls-key-file',
      certificates.keyFile,
      '--tls-ca-cert-file',
      certificates.caFile,
      '--tls-auth-clients',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const handshake = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
  await untilReady('redis-server', child, () => output, handshake);
  return { port, stop: stopper(child, 'SIGTERM', () => child.pid) };
}

/**
 * A PostgreSQL cluster of its own (initdb in a temporary directory) that accepts TLS
 * connections only (`hostssl` in pg_hba.conf), on a free loopback port. PostgreSQL refuses to
 * run as root, so as root it runs as the `postgres` user.
 */
export async function startTlsPostgres(certificates: Certificates): Promise<RunningServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'auth-service-tls-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) =>
    asRoot
      ? { command: 'runuser', args: ['-u', 'postgres', '--', command, ...args] }
      : { command, args };
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const initdb = run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync']);
  execFileSync(initdb.command, initdb.args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  // Only TLS connections are accepted, so a connection that works is a TLS connection.
  writeFileSync(join(data, 'pg_hba.conf'), 'hostssl all all 127.0.0.1/32 trust\n');
  const keyCopy = join(data, 'server.key');
  const certCopy = join(data, 'server.crt');
  execFileSync('cp', [certificates.keyFile, keyCopy]);
  execFileSync('cp', [certificates.certFile, certCopy]);
  if (asRoot) execFileSync('chown', ['postgres:', keyCopy, certCopy]);
  execFileSync('chmod', ['600', keyCopy]);
  const postgres = run('postgres', [
    '-D',
    data,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${dir}`,
    '-c',
    'ssl=on',
    '-c',
    'fsync=off',
  ]);
  const child = spawn(postgres.command, postgres.args, {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const answers = async () => {
    const client = new Client({
      connectionString: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=no-verify`,
    });
    await client.connect();
    await client.end();
    return true;
  };
  await untilReady('postgres', child, () => output, answers);
  // SIGINT: PostgreSQL's fast shutdown. Sent to the postmaster itself: runuser, when it wraps
  // it, does not pass SIGINT on.
  const postmaster = () =>
    Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const stop = stopper(child, 'SIGINT', postmaster);
  return {
    port,
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
