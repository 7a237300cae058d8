import { AppError } from '@app/errors';
import type { OutboundConfig, TasksConfig } from '../../config/configuration';
import { OutboundHttp } from './outbound-http.service';
import type { OutboundUrlPolicy } from './outbound-url-policy';

describe(OutboundHttp.name, () => {
  it('remembers the circuits of at most 10,000 destinations (they come from users)', async () => {
    const refuseAll = {
      pin: () => Promise.reject(new AppError('validation', 'OUTBOUND_URL_FORBIDDEN', 'refused')),
    } as unknown as OutboundUrlPolicy;
    const http = new OutboundHttp(
      { breakerHalfOpenAfterMs: 1000, breakerThreshold: 5, outboundTimeoutMs: 1000 } as TasksConfig,
      { maxResponseBytes: 1024 } as OutboundConfig,
      refuseAll,
    );
    for (let i = 0; i < 10_050; i++) {
      await expect(http.postJson(`https://hook-${i}.example.com/`, {})).rejects.toThrow('refused');
    }
    const circuits = http.circuits();
    expect(Object.keys(circuits)).toHaveLength(10_000);
    expect(circuits['https://hook-10049.example.com']).toBe('Closed'); // a refusal of ours opens nothing
    expect(circuits).not.toHaveProperty(['https://hook-0.example.com']);
  });
});
