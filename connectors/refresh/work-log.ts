/** The logging the background refresh work needs (a pino logger fits); connectors never import gateway/. */
export interface WorkLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
