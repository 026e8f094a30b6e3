import { DEFAULT_PASSWORD_HASH_OPTIONS, PasswordHasher } from './password-hasher';

/** Cheap parameters: the algorithm and encoding are under test, not the cost. */
const CHEAP = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

const PHC = /^\$argon2id\$v=19\$([a-z]=\d+(?:,[a-z]=\d+)*)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;

/** The cost parameters of an argon2id PHC string, whatever order the library writes them in. */
function argon2idParameters(hash: string): Record<string, number> {
  const match = PHC.exec(hash);
  expect(match).not.toBeNull();
  return Object.fromEntries(
    match![1].split(',').map((pair) => {
      const [name, value] = pair.split('=');
      return [name, Number(value)];
    }),
  );
}

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher(CHEAP);

  it('produces an argon2id PHC string with the configured cost', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    expect(hash.startsWith('$argon2id$')).toBe(true);
    expect(argon2idParameters(hash)).toEqual({ m: 1024, t: 1, p: 1 });
    expect(hash).not.toContain('correct horse');
  });

  it("uses OWASP's baseline by default (19 MiB, 2 passes, 1 lane)", async () => {
    const hash = await new PasswordHasher(DEFAULT_PASSWORD_HASH_OPTIONS).hash('password');
    expect(argon2idParameters(hash)).toEqual({ m: 19_456, t: 2, p: 1 });
  });

  it('salts every hash', async () => {
    const [first, second] = await Promise.all([hasher.hash('same'), hasher.hash('same')]);
    expect(first).not.toBe(second);
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hasher.hash('correct horse battery staple');
    await expect(hasher.verify(hash, 'correct horse battery staple')).resolves.toBe(true);
    await expect(hasher.verify(hash, 'correct horse battery stapl')).resolves.toBe(false);
    await expect(hasher.verify(hash, 'Correct horse battery staple')).resolves.toBe(false);
    await expect(hasher.verify(hash, '')).resolves.toBe(false);
  });

  it('verifies a hash made with other parameters (its own are in the PHC string)', async () => {
    const strong = await new PasswordHasher({ ...CHEAP, timeCost: 2 }).hash('secret');
    await expect(hasher.verify(strong, 'secret')).resolves.toBe(true);
  });

  it('answers false, without throwing, for a hash it cannot read', async () => {
    await expect(hasher.verify('not a hash', 'secret')).resolves.toBe(false);
    await expect(hasher.verify('', 'secret')).resolves.toBe(false);
  });

  it('verifyDecoy is always false, whatever the password, and really runs argon2', async () => {
    const decoy = new PasswordHasher(CHEAP);
    const hashSpy = jest.spyOn(decoy, 'hash');
    const verifySpy = jest.spyOn(decoy, 'verify');

    await expect(decoy.verifyDecoy('anything')).resolves.toBe(false);
    await expect(decoy.verifyDecoy('decoy password that no account has')).resolves.toBe(false);
    await expect(decoy.verifyDecoy('')).resolves.toBe(false);

    expect(verifySpy).toHaveBeenCalledTimes(3);
    expect(argon2idParameters(verifySpy.mock.calls[0][0])).toEqual({ m: 1024, t: 1, p: 1 });
    // The decoy hash is made once, then reused.
    expect(hashSpy).toHaveBeenCalledTimes(1);
  });
});
