/** Where a command writes, a line at a time; injected so tests can capture it. */
export interface CommandIo {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

export const processIo: CommandIo = {
  stdout: (line) => void process.stdout.write(`${line}\n`),
  stderr: (line) => void process.stderr.write(`${line}\n`),
};
