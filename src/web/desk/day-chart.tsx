import type { DayCount } from "../../storage/views/desk.view.ts";

export interface ChartSeries {
  readonly label: string;
  /** A CSS class giving the line its colour (desk-css.ts). */
  readonly className: string;
  readonly points: readonly DayCount[];
}

const WIDTH = 320;
const HEIGHT = 96;
const PAD = 4;

/**
 * A line chart drawn on the server as SVG (no script, no library), hidden from screen readers,
 * which get the same numbers as a table in a disclosure right under it.
 */
export function DayChart(props: { title: string; series: readonly ChartSeries[] }) {
  const days = [...new Set(props.series.flatMap((s) => s.points.map((p) => p.day)))].sort();
  if (days.length === 0) return <p class="meta">{props.title}: nothing yet.</p>;
  const highest = Math.max(1, ...props.series.flatMap((s) => s.points.map((p) => p.count)));
  const x = (day: string) =>
    days.length < 2 ? WIDTH / 2 : PAD + (days.indexOf(day) * (WIDTH - 2 * PAD)) / (days.length - 1);
  const y = (count: number) => HEIGHT - PAD - (count * (HEIGHT - 2 * PAD)) / highest;
  const countOn = (series: ChartSeries, day: string) =>
    series.points.find((p) => p.day === day)?.count ?? 0;
  return (
    <figure class="day-chart">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="presentation"
        aria-hidden="true"
        focusable="false"
      >
        <line class="axis" x1={PAD} y1={HEIGHT - PAD} x2={WIDTH - PAD} y2={HEIGHT - PAD} />
        {props.series.map((series) => (
          <polyline
            class={`series ${series.className}`}
            points={days
              .map((day) => `${x(day).toFixed(1)},${y(countOn(series, day)).toFixed(1)}`)
              .join(" ")}
          />
        ))}
      </svg>
      <figcaption>
        {props.title}
        {props.series.length > 1 ? (
          <span class="legend">
            {props.series.map((series) => (
              <span class={`key ${series.className}`}>{series.label}</span>
            ))}
          </span>
        ) : null}
      </figcaption>
      <details class="chart-data">
        <summary>{props.title}: the numbers</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Day (UTC)</th>
              {props.series.map((series) => (
                <th scope="col">{series.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {days.map((day) => (
              <tr>
                <th scope="row">{day}</th>
                {props.series.map((series) => (
                  <td>{countOn(series, day)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
