/**
 * The clean stop of a node executable on SIGINT/SIGTERM (`ros2 launch` stops its processes with
 * SIGINT, then SIGTERM, then SIGKILL): stop intake, let every node flush, publish and close its
 * stores, then shut the graph (rcl) down, then exit. The handlers are installed before the
 * nodes start, so a signal during start-up (a model loading) is handled too: the start stops at
 * the next node boundary, the nodes already started are closed, and nothing is destroyed under a
 * factory that is still running. A second signal during start-up exits at once.
 */
import type { NodeFactory } from "../nodes/types.js";
import type { NodeProgram, StartedProgram } from "./runNode.js";

export class StartInterruptedError extends Error {
  constructor(signal: string) {
    super(`start interrupted by ${signal}`);
    this.name = "StartInterruptedError";
  }
}

export interface SignalSource {
  on(signal: "SIGINT" | "SIGTERM", listener: () => void): unknown;
  removeListener(signal: "SIGINT" | "SIGTERM", listener: () => void): unknown;
}

export interface ShutdownOptions {
  readonly executable: string;
  /** Where the signals come from (default: process). */
  readonly signals?: SignalSource;
  /** Ends the program (default: process.exit). */
  readonly exit?: (code: number) => void;
  readonly log?: (message: string) => void;
}

export class ShutdownOnSignals {
  private signal: string | undefined;
  private started: StartedProgram | undefined;
  private stopping: Promise<void> | undefined;
  private readonly source: SignalSource;
  private readonly exit: (code: number) => void;
  private readonly log: (message: string) => void;
  private readonly onSigint = () => this.receive("SIGINT");
  private readonly onSigterm = () => this.receive("SIGTERM");

  constructor(private readonly options: ShutdownOptions) {
    this.source = options.signals ?? process;
    this.exit = options.exit ?? ((code) => process.exit(code));
    this.log = options.log ?? ((message) => console.error(`${options.executable}: ${message}`));
    this.source.on("SIGINT", this.onSigint);
    this.source.on("SIGTERM", this.onSigterm);
  }

  /** The signal that asked for the stop, if one came. */
  get requested(): string | undefined {
    return this.signal;
  }

  /**
   * The program with each node factory checked against a pending stop: before it is loaded,
   * before it runs, and after it returns (the node it just made is closed again).
   */
  interruptible(program: NodeProgram): NodeProgram {
    const check = () => {
      if (this.signal !== undefined) throw new StartInterruptedError(this.signal);
    };
    return {
      ...program,
      nodes: program.nodes.map((spec) => ({
        ...spec,
        factory: async (): Promise<NodeFactory> => {
          check();
          const create = await spec.factory();
          return async (graph, options) => {
            check();
            const node = await create(graph, options);
            if (this.signal !== undefined) {
              await node.close();
              check();
            }
            return node;
          };
        },
      })),
    };
  }

  /** The program is running: stop it now if a signal came during start-up, else on the next one. */
  attach(started: StartedProgram): void {
    this.started = started;
    if (this.signal !== undefined) void this.stop(this.signal);
  }

  /** Start-up failed or was interrupted: nothing is left to stop. */
  detach(): void {
    this.source.removeListener("SIGINT", this.onSigint);
    this.source.removeListener("SIGTERM", this.onSigterm);
  }

  private receive(signal: string): void {
    if (this.started === undefined) {
      if (this.signal !== undefined) {
        this.log(`${signal} again during start-up: exiting now`);
        this.exit(130);
        return;
      }
      this.signal = signal;
      this.log(`${signal} during start-up: stopping once the node being started returns (${signal} again exits now)`);
      return;
    }
    this.signal ??= signal;
    void this.stop(signal);
  }

  /** Runs once; later signals while stopping are ignored (ros2 launch escalates to SIGKILL itself). */
  stop(signal: string): Promise<void> {
    const started = this.started;
    if (!started) return Promise.resolve();
    this.stopping ??= (async () => {
      for (const node of started.nodes) node.node.logger.info({ signal }, "shutting down");
      let code = 0;
      try {
        started.graph.stopIntake();
        await started.stop(); // each node's close() (flush, publish, close stores), then graph.shutdown()
      } catch (error) {
        this.log(`error while shutting down: ${error instanceof Error ? error.message : String(error)}`);
        code = 1;
      }
      this.detach();
      this.exit(code);
    })();
    return this.stopping;
  }
}
