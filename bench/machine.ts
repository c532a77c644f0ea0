/** The machine a benchmark ran on, for the results table. */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** What BENCHMARKS.md records about the machine. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  ramGiB: number;
  kernel: string;
  node: string;
  date: string;
}

/** CPU model from /proc/cpuinfo, logical cores, RAM, kernel release, Node version and today's date. */
export function machineInfo(): MachineInfo {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) cpu = line.split(':').slice(1).join(':').trim();
  } catch {
    // Not Linux: keep what os.cpus() says.
  }
  return {
    cpu,
    cores: os.cpus().length,
    ramGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    date: new Date().toISOString().slice(0, 10),
  };
}

/** One line for the report. */
export function describeMachine(m: MachineInfo): string {
  return `${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM, Linux ${m.kernel}, Node ${m.node}, ${m.date}`;
}
