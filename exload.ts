import { generateExports } from '/work/wt/duck/bench/generate-exports.ts';
import { loadDataset } from '/work/wt/duck/src/providers/local-dataset.ts';
await generateExports('/tmp/duck-exports20', { files: 20, rows: 50000 });
for (let run = 0; run < 1; run++) {
  const started = performance.now(); const cpu = process.cpuUsage();
  const data = await loadDataset('/tmp/duck-exports20');
  const used = process.cpuUsage(cpu);
  console.log(data.linkCount, Math.round(performance.now() - started), 'ms wall', Math.round((used.user + used.system) / 1000), 'ms cpu', Math.round(process.memoryUsage().rss / 1048576), 'MB');
}
