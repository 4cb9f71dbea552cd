/**
 * The TCP listener worker managers dial, and the handshake: a connection must
 * say hello within HELLO_TIMEOUT_MS, with the endpoint's secret, for a block
 * the agent waits for, with a positive number of slots; it is refused
 * otherwise. At most MAX_UNAUTHENTICATED_CONNECTIONS connections may be
 * waiting to say hello (a flood cannot exhaust the agent), and their lines are
 * short until the secret is known.
 *
 * What a connected manager says next (results, heartbeats) and its
 * connection closing go to the hooks; the listener keeps no manager itself.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from '../logger.js';
import { LineChannel, UNAUTHENTICATED_LINE_CHARS, type AgentMessage, type ManagerHello, type ManagerMessage } from './protocol.js';
import { secretsMatch } from './secret.js';
import type { WorkerManager } from './model.js';

const HELLO_TIMEOUT_MS = 10_000;
/** Connections that have not said hello yet; more are refused at once. */
const MAX_UNAUTHENTICATED_CONNECTIONS = 16;

export interface ManagerListenerOptions {
  listenAddress: string;
  listenPort: number;
  secret: string;
  /** Told to each manager in its welcome. */
  heartbeatMs: number;
  timeoutMs: number;
  logger: Logger;
}

export interface ManagerListenerHooks {
  /** Why a hello for this block is refused (a block this agent does not wait for), or undefined. */
  refuseBlock(blockId: string): string | undefined;
  /** A manager passed the handshake and was welcomed. */
  connected(manager: WorkerManager): void;
  result(manager: WorkerManager, message: Extract<ManagerMessage, { type: 'result' }>): void;
  /** Its connection closed. */
  lost(manager: WorkerManager, why: string): void;
}

export class ManagerListener {
  private server: Server | undefined;
  private boundPort = 0;
  /** Connections that have not said hello yet. */
  private unauthenticated = 0;

  constructor(
    private readonly options: ManagerListenerOptions,
    private readonly hooks: ManagerListenerHooks,
  ) {}

  /** The port managers connect to (after listen). */
  get port(): number {
    return this.boundPort;
  }

  async listen(): Promise<number> {
    const { listenAddress, listenPort, logger } = this.options;
    const server = createServer((socket) => this.greet(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, listenAddress, () => resolve());
    });
    server.on('error', (error) => logger.error({ err: error }, 'manager listener failed'));
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
    return this.boundPort;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private greet(socket: Socket): void {
    const log = this.options.logger;
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.unauthenticated >= MAX_UNAUTHENTICATED_CONNECTIONS) {
      log.warn({ peer, limit: MAX_UNAUTHENTICATED_CONNECTIONS }, 'too many connections waiting to say hello; refused');
      socket.destroy();
      return;
    }
    this.unauthenticated++;
    let waitingForHello = true;
    const helloDone = () => {
      if (!waitingForHello) return;
      waitingForHello = false;
      this.unauthenticated--;
      clearTimeout(hello);
    };
    let manager: WorkerManager | undefined;
    const hello = setTimeout(() => {
      log.warn({ peer }, 'a connection sent no hello in time; closed');
      socket.destroy();
    }, HELLO_TIMEOUT_MS);
    const channel: LineChannel<ManagerMessage, AgentMessage> = new LineChannel<ManagerMessage, AgentMessage>(
      socket,
      (message) => {
        if (!manager) {
          helloDone();
          manager = this.handshake(channel, message, peer);
          if (manager) channel.allowLongLines(); // results can be large once the secret is known
          return;
        }
        manager.lastHeardMs = Date.now();
        if (message.type === 'result') this.hooks.result(manager, message);
        else if (message.type === 'heartbeat') channel.send({ type: 'heartbeat' });
      },
      (why) => {
        log.warn({ peer, managerId: manager?.id }, `manager sent ${why}; closed`);
        socket.destroy();
      },
      { maxLineChars: UNAUTHENTICATED_LINE_CHARS },
    );
    socket.on('error', (error) => log.debug({ peer, err: error.message }, 'manager connection error'));
    socket.on('close', () => {
      helloDone();
      if (manager) this.hooks.lost(manager, `the connection to manager ${manager.id} closed`);
    });
  }

  /** The first message: a hello that passes every check becomes a welcomed manager; anything else is refused. */
  private handshake(channel: LineChannel<ManagerMessage, AgentMessage>, message: ManagerMessage, peer: string): WorkerManager | undefined {
    const refuse = (reason: string) => {
      this.options.logger.warn({ peer, reason }, 'manager refused');
      channel.send({ type: 'refused', reason });
      channel.close();
      return undefined;
    };
    if (message.type !== 'hello') return refuse('the first message must be hello');
    const why = this.helloRefusal(message);
    if (why) return refuse(why);
    const manager: WorkerManager = {
      id: String(message.manager_id),
      blockId: message.block_id,
      hostname: String(message.hostname),
      slots: message.slots,
      channel,
      running: new Map(),
      lastHeardMs: Date.now(),
      gone: false,
    };
    channel.send({ type: 'welcome', heartbeat_ms: this.options.heartbeatMs, timeout_ms: this.options.timeoutMs });
    this.hooks.connected(manager);
    return manager;
  }

  private helloRefusal(hello: ManagerHello): string | undefined {
    if (!secretsMatch(hello.secret, this.options.secret)) return 'wrong secret';
    const block = this.hooks.refuseBlock(hello.block_id);
    if (block) return block;
    if (!Number.isInteger(hello.slots) || hello.slots < 1) return 'slots must be a positive integer';
    return undefined;
  }
}
