/**
 * Results over AMQP 0-9-1, as Globus Compute's Executor reads them: each
 * finished task of an upstream-format submit is published, as a
 * globus_compute_common.messagepack `Result` (protocol 1: a 0x01 byte, then
 * JSON {"message_type": "result", "data": {...}}), to the queue of its task
 * group, `<user prefix><task_group_id>`. The queue is declared when a submit
 * asks for it (`create_queue`), before the submit is answered.
 *
 * Each user gets a RabbitMQ user of their own (made through the management
 * API), allowed to read (consume) only queues under their prefix, and to
 * configure and write nothing. Its password is new on every
 * get_amqp_result_connection_url: a connection already open stays open, and the
 * Executor asks again each time it reconnects.
 *
 * Publishing is best effort after the ledger has committed: the ledger stays
 * the truth (get_result still answers), and a lost message only delays an
 * Executor that then times out. The service's own connection is made lazily
 * and remade after a failure.
 */
import { createHash, randomBytes } from 'node:crypto';
import amqp, { type ConfirmChannel, type Connection } from 'amqplib';
import type { Logger } from 'pino';

export interface AmqpSettings {
  /** amqp://user:pass@host:port/vhost: the service's own (administrative) connection. */
  url: string;
  /** http://user:pass@host:port of the RabbitMQ management API, to make per-user credentials. */
  managementUrl: string;
}

export interface ResultMessage {
  taskId: string;
  submitter: string;
  taskGroupId: string;
  /** The serialized result, or the exception text. */
  data: string;
  error?: { code: string; message: string };
}

const QUEUE_PREFIX = 'fx.results.';

export class ResultQueues {
  private channel?: Promise<ConfirmChannel>;
  private model?: Connection;
  private readonly vhost: string;

  constructor(private readonly settings: AmqpSettings, private readonly log: Logger) {
    this.vhost = decodeURIComponent(new URL(settings.url).pathname.slice(1)) || '/';
  }

  /** Queue names of one user start with this (so one permission pattern covers them). */
  static prefixFor(submitter: string): string {
    return `${QUEUE_PREFIX}${userKey(submitter)}.`;
  }

  async declareQueue(submitter: string, taskGroupId: string): Promise<void> {
    const channel = await this.open();
    await channel.assertQueue(ResultQueues.prefixFor(submitter) + taskGroupId, { durable: true });
  }

  /** A connection URL with fresh credentials that may consume only this user's queues. */
  async credentialsFor(submitter: string): Promise<{ connection_url: string; queue_prefix: string }> {
    const user = `fx-${userKey(submitter)}`;
    const password = randomBytes(24).toString('base64url');
    const prefix = ResultQueues.prefixFor(submitter);
    await this.manage('PUT', `/api/users/${encodeURIComponent(user)}`, { password, tags: '' });
    await this.manage('PUT', `/api/permissions/${encodeURIComponent(this.vhost)}/${encodeURIComponent(user)}`, {
      configure: '^$', write: '^$', read: `^${prefix.replace(/\./g, '\\.')}`,
    });
    const url = new URL(this.settings.url);
    url.username = encodeURIComponent(user);
    url.password = encodeURIComponent(password);
    return { connection_url: url.toString(), queue_prefix: prefix };
  }

  async publish(messages: readonly ResultMessage[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      const channel = await this.open();
      for (const message of messages) {
        channel.sendToQueue(ResultQueues.prefixFor(message.submitter) + message.taskGroupId, packResult(message), {
          persistent: true, timestamp: Math.floor(Date.now() / 1000), contentType: 'application/octet-stream',
        });
      }
      await channel.waitForConfirms();
    } catch (error) {
      this.log.warn({ err: error, tasks: messages.length }, 'could not publish results over AMQP (get_result still answers)');
      this.reset();
    }
  }

  async close(): Promise<void> {
    const model = this.model;
    this.reset();
    await model?.close().catch(() => undefined);
  }

  private open(): Promise<ConfirmChannel> {
    this.channel ??= (async () => {
      const model = await amqp.connect(this.settings.url);
      this.model = model;
      model.on('error', (error: unknown) => this.log.warn({ err: error }, 'AMQP connection error'));
      model.on('close', () => this.reset());
      return model.createConfirmChannel();
    })();
    this.channel.catch(() => this.reset());
    return this.channel;
  }

  private reset(): void {
    this.channel = undefined;
    this.model = undefined;
  }

  private async manage(method: string, apiPath: string, body: unknown): Promise<void> {
    const base = new URL(this.settings.managementUrl);
    const auth = Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64');
    base.username = '';
    base.password = '';
    const response = await fetch(new URL(apiPath, base), {
      method, body: JSON.stringify(body), headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`RabbitMQ management ${method} ${apiPath}: ${response.status} ${await response.text()}`);
  }
}

/** A stable, opaque name part for a user id (any characters) that fits RabbitMQ names and patterns. */
function userKey(submitter: string): string {
  return createHash('sha256').update(submitter).digest('hex').slice(0, 24);
}

/** globus_compute_common.messagepack protocol 1, message type "result". */
export function packResult(message: ResultMessage): Buffer {
  const data = {
    task_id: message.taskId,
    data: message.data,
    details: null,
    error_details: message.error ? { code: message.error.code, user_message: message.error.message } : null,
    task_statuses: null,
  };
  return Buffer.concat([Buffer.from([1]), Buffer.from(JSON.stringify({ message_type: 'result', data }), 'utf8')]);
}
