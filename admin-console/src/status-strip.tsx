import { useEffect, useState } from 'preact/hooks';
import { api, type Readiness, type Stats } from './api';

const REFRESH_MS = 30_000;

function Dot({ state }: { state: string }) {
  const tone = state === 'up' ? 'ok' : state === 'down' ? 'bad' : 'neutral';
  return <span class={`dot ${tone}`} aria-hidden="true" />;
}

/** Dependencies from readiness, and the last 24 hours from the audit trail; refreshed every 30 s. */
export function StatusStrip() {
  const [ready, setReady] = useState<Readiness | null>(null);
  const [stats, setStats] = useState<Stats | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    let stopped = false;
    const refresh = async () => {
      const [readiness, counts] = await Promise.allSettled([api.readiness(), api.stats()]);
      if (stopped) return;
      setReady(
        readiness.status === 'fulfilled'
          ? readiness.value
          : { database: 'unknown', redis: 'unknown' },
      );
      setStats(counts.status === 'fulfilled' ? counts.value : null);
      setFailed(counts.status === 'rejected');
    };
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  return (
    <section class="status-strip" aria-label="Service status">
      <span class="status-item">
        <Dot state={ready?.database ?? 'unknown'} /> Database{' '}
        <strong>{ready?.database ?? '…'}</strong>
      </span>
      <span class="status-item">
        <Dot state={ready?.redis ?? 'unknown'} /> Redis <strong>{ready?.redis ?? '…'}</strong>
      </span>
      <span class="status-sep" aria-hidden="true" />
      {stats ? (
        <>
          <span class="status-item" title="User and admin logouts in the last 24 hours">
            Logouts 24 h <strong>{stats.logouts.success}</strong> ok ·{' '}
            <strong class={stats.logouts.failure ? 'warn' : ''}>{stats.logouts.failure}</strong>{' '}
            refused
          </span>
          <span class="status-item">
            429s 24 h <strong class={stats.rateLimited ? 'warn' : ''}>{stats.rateLimited}</strong>
          </span>
          <span class="status-item">
            Reuse detections 24 h{' '}
            <strong class={stats.reuseDetections ? 'bad' : ''}>{stats.reuseDetections}</strong>
          </span>
        </>
      ) : (
        <span class="status-item muted">{failed ? 'Counts unavailable' : 'Loading counts…'}</span>
      )}
    </section>
  );
}
