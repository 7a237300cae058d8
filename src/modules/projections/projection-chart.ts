import * as echarts from 'echarts';
import type { ProjectionOutput } from './domain/projection-output';

const WIDTH = 960;
const HEIGHT = 540;

/**
 * Total value (line, left axis) and income (bars, right axis) by year, as a standalone SVG drawn by
 * Apache ECharts' server-side renderer. Values are plotted in dollars (a chart needs numbers; the
 * exact amounts are in the JSON and CSV).
 */
export function renderProjectionSvg(output: ProjectionOutput, title: string): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height: HEIGHT });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      title: { text: title, left: 'center', top: 8 },
      legend: { data: ['Total value', 'Income'], top: 40 },
      grid: { left: 110, right: 110, top: 80, bottom: 60 },
      xAxis: {
        type: 'category',
        name: 'Year',
        nameLocation: 'middle',
        nameGap: 32,
        data: output.years.map((r) => String(r.year)),
      },
      yAxis: [
        { type: 'value', name: 'Total value (USD)', axisLabel: { formatter: compact } },
        { type: 'value', name: 'Income (USD)', axisLabel: { formatter: compact }, splitLine: { show: false } },
      ],
      series: [
        {
          name: 'Total value',
          type: 'line',
          yAxisIndex: 0,
          symbolSize: 6,
          data: output.years.map((r) => Number(r.totalValue)),
        },
        { name: 'Income', type: 'bar', yAxisIndex: 1, data: output.years.map((r) => Number(r.income)) },
      ],
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

const UNITS: [number, string][] = [
  [1e12, 'T'],
  [1e9, 'B'],
  [1e6, 'M'],
  [1e3, 'k'],
];

function compact(value: number): string {
  for (const [size, suffix] of UNITS) {
    if (Math.abs(value) >= size) return `${Number((value / size).toPrecision(3))}${suffix}`;
  }
  return String(value);
}
