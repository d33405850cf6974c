import { describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/exit-codes.js';
import { checkBooleanValues, checkSingleValues, negativeNumberReason } from '../../cli/flag-checks.js';
import { GUEST_MEM_LIMIT, HOST_MEM_LIMIT } from '../../cli/guest-options.js';
import { parseSize } from '../../cli/parse.js';
import { runCli } from './capture.js';

const HELLO = 'guests/x86_64/hello.s';
const oneLine = (s: string) => s.trimEnd().split('\n').length === 1;

async function refused(argv: string[], message: RegExp): Promise<void> {
  const r = await runCli(...argv);
  expect(r.status).toBe(EXIT.usage);
  expect(r.stderr).toMatch(message);
  expect(oneLine(r.stderr)).toBe(true);
}

describe('memory sizes are bounded in the builder', () => {
  it.each([
    ['--mem', '8G', /--mem: '8G' is too large: .*4 GiB \(at most 4094M\)/],
    ['--mem', '4G', /--mem: '4G' is too large/],
    ['--mem', '4095M', /--mem: '4095M' is too large/],
    ['--host-mem', '5G', /--host-mem: '5G' is too large: host memory must stay below 4 GiB/],
  ])('%s %s is a usage error naming the limit', (flag, value, message) =>
    refused(['run', HELLO, flag, value], message),
  );

  it('takes sizes up to the limit and refuses one byte more', () => {
    expect(parseSize('mem', String(GUEST_MEM_LIMIT.max), GUEST_MEM_LIMIT)).toBe(GUEST_MEM_LIMIT.max);
    expect(() => parseSize('mem', String(GUEST_MEM_LIMIT.max + 1), GUEST_MEM_LIMIT)).toThrow(/too large/);
    expect(parseSize('host-mem', String(HOST_MEM_LIMIT.max), HOST_MEM_LIMIT)).toBe(2 ** 32 - 4096);
    expect(() => parseSize('host-mem', '4G', HOST_MEM_LIMIT)).toThrow(/below 4 GiB/);
  });
});

describe('a single-value option is given once', () => {
  it.each([
    ['--arch', 'arm64', 'x86_64'],
    ['--format', 'ept', 'npt'],
    ['--mem', '16M', '32M'],
    ['--max-insns', '10', '20'],
    ['--timeout', '10', '20'],
    ['--load', '0x100000', '0x200000'],
    ['--host-mem', '32M', '64M'],
    ['--seed', '1', '2'],
    ['--host-layout', 'identity', 'scattered'],
    ['--trace', '/tmp/a.jsonl', '/tmp/b.jsonl'],
  ])('%s twice is a usage error naming it', (flag, a, b) =>
    refused(['run', HELLO, flag, a, flag, b], new RegExp(`${flag} was given 2 times`)),
  );

  it('applies to the other commands too', async () => {
    await refused(['walk', HELLO, '0', '--at-insns', '5', '--at-insns', '6'], /--at-insns was given 2 times/);
    await refused(['disasm', HELLO, '--arch', 'arm64', '--arch', 'x86_64'], /--arch was given 2 times/);
    await refused(['guests', '--arch', 'arm64', '--arch', 'x86_64'], /--arch was given 2 times/);
  });

  it('the check itself: arrays are refused unless declared, camel-case twins ignored', () => {
    const opts = { boolean: [], array: ['list'] };
    expect(() => checkSingleValues({ _: [], list: ['a', 'b'], n: 1 }, opts)).not.toThrow();
    expect(() => checkSingleValues({ hostMem: ['a', 'b'] }, opts)).not.toThrow();
    expect(() => checkSingleValues({ 'host-mem': ['a', 'b'] }, opts)).toThrow(/--host-mem was given 2/);
  });
});

describe('an option that takes a value needs one', () => {
  it.each([
    '--mem',
    '--host-mem',
    '--load',
    '--max-insns',
    '--timeout',
    '--arch',
    '--format',
    '--trace',
    '--seed',
    '--host-layout',
    '--snapshot-at',
    '--snapshot-file',
    '--restore',
    '--diff-from',
  ])('%s with no value is a usage error', (flag) =>
    refused(['run', HELLO, flag], new RegExp(`Not enough arguments following: ${flag.slice(2)}`)),
  );

  it('--at-insns with no value is a usage error', () =>
    refused(['walk', HELLO, '0', '--at-insns'], /Not enough arguments following: at-insns/));
});

describe('a switch takes no value', () => {
  it('--json --json=foo is a usage error, not the text summary', async () => {
    const r = await runCli('run', HELLO, '--json', '--json=foo');
    expect(r.status).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/--json is a switch and takes no value: '--json=foo'/);
    expect(r.stdout).toBe('');
  });

  it('takes =true and =false', async () => {
    const r = await runCli('run', HELLO, '--json=true', '--dirty-tracking=false');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).dirtyTracking).toBe(false);
  });

  it('the check itself', () => {
    const opts = { boolean: ['json', 'dirty-tracking'], array: [] };
    expect(() => checkBooleanValues(['--no-dirty-tracking=1'], opts)).toThrow(
      /--no-dirty-tracking is a switch/,
    );
    expect(() => checkBooleanValues(['--mem=16M', '--json=false', '--', '--json=x'], opts)).not.toThrow();
  });
});

describe('negative numbers', () => {
  it('walk G -0x10 says the address must be ≥ 0', () =>
    refused(['walk', HELLO, '-0x10', '--virtual'], /address must be ≥ 0: -0x10/));

  it('after a flag it names the flag', async () => {
    await refused(['walk', HELLO, '0', '--load', '-0x10'], /--load must be ≥ 0: -0x10/);
    await refused(['walk', HELLO, '-16'], /--address must be ≥ 0: -16/);
  });

  it('the reason is given only when a negative number caused the failure', () => {
    expect(negativeNumberReason(['walk', 'g', '-0x10'], 'Not enough non-option arguments: got 1')).toMatch(
      /^address must be ≥ 0: -0x10/,
    );
    expect(negativeNumberReason(['run', 'g', '--mem', '-1k'], 'Not enough arguments following: mem')).toBe(
      '--mem must be ≥ 0: -1k',
    );
    expect(negativeNumberReason(['run', 'g', '--bogus'], 'Unknown argument: bogus')).toBeNull();
    expect(negativeNumberReason(['run', 'g', '--', '-5'], 'Unknown argument: x')).toBeNull();
  });
});
