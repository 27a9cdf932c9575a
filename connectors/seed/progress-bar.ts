/**
 * A progress display for seeding: one bar per phase on a terminal (cli-progress, on stderr), or one
 * plain line per phase and tenth of the way when stderr is not a terminal (CI logs, pipes).
 */

import cliProgress from 'cli-progress';
import type { ProgressListener, SeedPhase } from './load-passes.js';

/** Follows a seed's onProgress calls; call `stop` when the seed returns or fails. */
export function progressBars(stream: NodeJS.WriteStream = process.stderr): { listener: ProgressListener; stop(): void } {
  return stream.isTTY ? terminalBars(stream) : plainLines(stream);
}

function terminalBars(stream: NodeJS.WriteStream): { listener: ProgressListener; stop(): void } {
  const multi = new cliProgress.MultiBar({
    format: '{phase} [{bar}] {percentage}% | {value}/{total} | {duration}s',
    hideCursor: true,
    clearOnComplete: false,
    fps: 5,
    stream,
  }, cliProgress.Presets.shades_classic);
  const bars = new Map<SeedPhase, cliProgress.SingleBar>();
  return {
    listener(done, total, phase) {
      let bar = bars.get(phase);
      if (!bar) {
        bar = multi.create(total, 0, { phase: phase.padEnd(10) });
        bars.set(phase, bar);
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop() {
      multi.stop();
    },
  };
}

function plainLines(stream: NodeJS.WriteStream): { listener: ProgressListener; stop(): void } {
  const started = performance.now();
  const reached = new Map<SeedPhase, number>();
  return {
    listener(done, total, phase) {
      const tenth = total === 0 ? 10 : Math.floor((done / total) * 10);
      if (tenth <= (reached.get(phase) ?? -1)) return;
      reached.set(phase, tenth);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      stream.write(`${phase.padEnd(10)} ${String(tenth * 10).padStart(3)}% ${done}/${total} (${seconds}s)\n`);
    },
    stop() {},
  };
}
