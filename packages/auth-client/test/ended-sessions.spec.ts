import { EndedSessions } from '../src/core/ended-sessions';

describe('EndedSessions', () => {
  let now = 1_000_000;
  const clock = () => now;

  it('remembers an ended session for the access-token lifetime, then forgets it', () => {
    const ended = new EndedSessions(60_000, clock);
    ended.endSession('s1');
    expect(ended.isEnded({ sessionId: 's1', userId: 'u', issuedAt: 0 })).toBe(true);
    expect(ended.isEnded({ sessionId: 's2', userId: 'u', issuedAt: 0 })).toBe(false);
    now += 60_001;
    expect(ended.isEnded({ sessionId: 's1', userId: 'u', issuedAt: 0 })).toBe(false);
    ended.endSession('s3'); // writing drops what expired
    expect(ended.size).toBe(1);
  });

  it('an ending reported again starts its lifetime again', () => {
    const ended = new EndedSessions(60_000, clock);
    ended.endSession('s1');
    ended.endSession('s2');
    now += 50_000;
    ended.endSession('s1');
    now += 20_000;
    ended.endSession('s4');
    expect(ended.isEnded({ sessionId: 's1', userId: 'u', issuedAt: 0 })).toBe(true);
    expect(ended.isEnded({ sessionId: 's2', userId: 'u', issuedAt: 0 })).toBe(false);
    expect(ended.size).toBe(2);
  });

  it('a user-wide ending refuses tokens issued up to its instant, not later ones', () => {
    const ended = new EndedSessions(60_000, clock);
    ended.endUserSessions('u1', 500);
    expect(ended.isEnded({ sessionId: 'a', userId: 'u1', issuedAt: 500 })).toBe(true);
    expect(ended.isEnded({ sessionId: 'b', userId: 'u1', issuedAt: 501 })).toBe(false);
    expect(ended.isEnded({ sessionId: 'c', userId: 'u2', issuedAt: 100 })).toBe(false);
    ended.endUserSessions('u1', 400); // an older event never narrows a newer one
    expect(ended.isEnded({ sessionId: 'a', userId: 'u1', issuedAt: 450 })).toBe(true);
    expect(ended.isEnded({ sessionId: 'a', userId: 'u1', issuedAt: 499 })).toBe(true);
  });
});
