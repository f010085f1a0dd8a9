import { readFileSync } from 'node:fs';
import type { Server } from 'node:https';
import { createSecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { toError } from '../store/errors.js';

/**
 * HTTPS without a reverse proxy: the certificate chain and key are read from files at start and again on SIGHUP
 * (certificates are renewed every few weeks). A reload swaps the context new connections get; connections already
 * open keep theirs and are not dropped. A new pair that cannot be used keeps the old one, and says why in the log.
 */

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

type TlsFiles = NonNullable<Config['tls']>;

/** Read and check the pair (a context is built from it: an unreadable file, a bad PEM or a key of another cert throw). */
export function loadTlsPair(files: TlsFiles): TlsPair {
  const read = (path: string, what: string, flag: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`cannot read the TLS ${what} ${path} (${toError(e).message}): check ${flag}`, { cause: e });
    }
  };
  const pair = {
    cert: read(files.certFile, 'certificate', '--tls-cert (CURRENTS_TLS_CERT)'),
    key: read(files.keyFile, 'private key', '--tls-key (CURRENTS_TLS_KEY)'),
  };
  try {
    createSecureContext(pair);
  } catch (e) {
    throw new Error(
      `the TLS certificate ${files.certFile} and key ${files.keyFile} cannot be used together (${toError(e).message}): ` +
        'give a PEM certificate chain and the PEM private key it was issued for',
      { cause: e },
    );
  }
  return pair;
}

/** Who the certificate names and until when, for the log. */
export function describeCert(pair: TlsPair): { subject: string; validTo: string } {
  const cert = new X509Certificate(pair.cert);
  return { subject: cert.subject.replace(/\n/g, ', '), validTo: new Date(cert.validTo).toISOString() };
}

/** Load the files again and give new connections the new pair; on failure keep the old one. True when swapped. */
export function reloadTls(server: Server, files: TlsFiles, logger: Pick<Logger, 'info' | 'error'>): boolean {
  let pair: TlsPair;
  try {
    pair = loadTlsPair(files);
  } catch (e) {
    logger.error({ err: toError(e) }, 'TLS reload failed: still serving the previous certificate');
    return false;
  }
  server.setSecureContext(pair);
  logger.info(describeCert(pair), 'reloaded the TLS certificate: new connections get it');
  return true;
}
