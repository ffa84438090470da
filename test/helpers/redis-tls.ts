import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';
import { collectOutput, spawnTracked, stopProcess } from './processes.js';
import { waitFor } from './wait.js';

/** PEM files of a test CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
export interface TestCertificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** Why TLS tests cannot run here (no openssl), or undefined when they can. */
export function opensslMissing(): string | undefined {
  const probe = spawnSync('openssl', ['version'], { stdio: 'ignore' });
  return probe.status === 0 ? undefined : 'openssl is not installed: it makes the test certificates';
}

/** Makes a CA, a server certificate (SAN IP:127.0.0.1) and a client certificate (clientAuth) in `dir`. */
export function makeCertificates(dir: string): TestCertificates {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=lkc-test-ca',
  );
  const signed = (name: string, subject: string, extensions: string) => {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    );
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      `${name}.ext`,
    );
  };
  signed('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  signed('client', '/CN=lkc-node', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
  };
}

/** A redis-server that speaks only TLS (no plain port) and asks every client for a certificate. */
export interface TlsRedis {
  port: number;
  address: string;
  process: ChildProcess;
  /** A client over TLS with the client certificate, as `username`/`password`, on `db`. */
  connect(options: { username: string; password: string; db?: number }): Promise<Redis>;
  stop(): Promise<void>;
  output(): string;
}

/**
 * Starts `redis-server --port 0 --tls-port P --tls-auth-clients yes` with `aclUsers` (ACL rules after `user`,
 * e.g. `admin on >pw ~* &* +@all`; the default user is off) and waits until `probe` (one of those users) gets
 * PONG over TLS.
 */
export async function startTlsRedis(
  dir: string,
  certs: TestCertificates,
  aclUsers: string[],
  probe: { username: string; password: string },
): Promise<TlsRedis> {
  const port = await freePort();
  const aclFile = join(dir, 'users.acl');
  writeFileSync(aclFile, ['user default off', ...aclUsers.map((rules) => `user ${rules}`), ''].join('\n'));
  const child = spawnTracked('redis-server', [
    '--port',
    '0',
    '--tls-port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--tls-cert-file',
    certs.serverCert,
    '--tls-key-file',
    certs.serverKey,
    '--tls-ca-cert-file',
    certs.ca,
    '--tls-auth-clients',
    'yes',
    '--aclfile',
    aclFile,
  ]);
  const output = collectOutput(child);
  const connect = async ({
    username,
    password,
    db = 0,
  }: {
    username: string;
    password: string;
    db?: number;
  }) => {
    const client = new Redis({
      host: '127.0.0.1',
      port,
      username,
      password,
      db,
      tls: {
        ca: readFileSync(certs.ca),
        cert: readFileSync(certs.clientCert),
        key: readFileSync(certs.clientKey),
      },
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    await client.connect();
    return client;
  };
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited: ${output.text()}`);
      const client = await connect(probe);
      try {
        return (await client.ping()) === 'PONG';
      } finally {
        client.disconnect();
      }
    },
    { timeoutMs: 10_000, what: () => `redis-server over TLS on port ${port}\n${output.text()}` },
  );
  return {
    port,
    address: `127.0.0.1:${port}`,
    process: child,
    connect,
    stop: () => stopProcess(child, 2000),
    output: output.text,
  };
}
