import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';

/**
 * Azurite (Microsoft's Azure Storage emulator, from npm) serving Blob in a child process on a free 127.0.0.1 port,
 * in memory, telemetry off; the tests start it and stop it. Its account is the emulator's well-known one.
 */

const ACCOUNT = 'devstoreaccount1';
const KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const MAIN = createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');

export interface LocalAzure {
  endpoint: string;
  /** The connection string of the emulator's account (`key` replaces its account key: a wrong one). */
  connectionString(key?: string): string;
  createContainer(name: string): Promise<void>;
  put(container: string, name: string, body: Buffer): Promise<void>;
  stop(): Promise<void>;
}

export async function startAzurite(): Promise<LocalAzure> {
  const cwd = await mkdtemp(join(tmpdir(), 'currents-azurite-'));
  const child = spawn(
    process.execPath,
    [
      MAIN,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--skipApiVersionCheck',
      '--disableProductStyleUrl',
    ],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`azurite did not start within 20 s:\n${output}`)), 20_000);
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
      const m = /successfully listens on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then(() => reject(new Error(`azurite exited before listening:\n${output}`)));
  });
  const connectionString = (key = KEY) =>
    `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${key};BlobEndpoint=${endpoint}/${ACCOUNT};`;
  const service = BlobServiceClient.fromConnectionString(connectionString());
  return {
    endpoint,
    connectionString,
    createContainer: async (name) => void (await service.getContainerClient(name).create()),
    put: async (container, name, body) =>
      void (await service.getContainerClient(container).getBlockBlobClient(name).uploadData(body)),
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      await rm(cwd, { recursive: true, force: true });
    },
  };
}
