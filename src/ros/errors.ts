/** Errors raised by the graph port. Each says what went wrong and what to do. */

export class MessageValidationError extends Error {
  constructor(
    readonly typeName: string,
    readonly fieldPath: string,
    detail: string,
  ) {
    super(`${typeName}: field "${fieldPath}" ${detail}`);
    this.name = "MessageValidationError";
  }
}

export class ServiceTimeoutError extends Error {
  constructor(
    readonly service: string,
    readonly timeoutMs: number,
    serverExists: boolean,
  ) {
    super(
      serverExists
        ? `service ${service} did not answer within ${timeoutMs} ms; the server is busy or stuck`
        : `service ${service} is not available (no server after ${timeoutMs} ms); is the node that provides it running, and is the name or namespace right?`,
    );
    this.name = "ServiceTimeoutError";
  }
}

export class ServiceHandlerError extends Error {
  constructor(
    readonly service: string,
    cause: unknown,
  ) {
    super(`service ${service} failed while handling the request: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "ServiceHandlerError";
  }
}

export class ParameterError extends Error {
  constructor(
    readonly parameter: string,
    reason: string,
  ) {
    super(`parameter ${parameter}: ${reason}`);
    this.name = "ParameterError";
  }
}

export class NameResolutionError extends Error {
  constructor(name: string, reason: string) {
    super(`invalid ROS name "${name}": ${reason}`);
    this.name = "NameResolutionError";
  }
}
