import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { type Expression, parseField } from "../../src/cron/expressions.ts";
import { effectiveFields, type TimeField } from "../../src/cron/fields.ts";

const range = (first: number, last: number, step = 1): Expression => ({
  kind: "range",
  first,
  last,
  step,
});

const PARSE_ROWS: {
  name: string;
  field: TimeField;
  value: string | number;
  expect: Expression[];
}[] = [
  {
    name: "'*' is min..max",
    field: "hour",
    value: "*",
    expect: [range(0, 23)],
  },
  {
    name: "'*/a' steps from the minimum",
    field: "day",
    value: "*/10",
    expect: [range(1, 31, 10)],
  },
  { name: "a YAML int", field: "minute", value: 5, expect: [range(5, 5)] },
  {
    name: "a number in a string",
    field: "minute",
    value: "05",
    expect: [range(5, 5)],
  },
  { name: "'a-b'", field: "hour", value: "9-17", expect: [range(9, 17)] },
  {
    name: "'a-b/c'",
    field: "hour",
    value: "9-17/4",
    expect: [range(9, 17, 4)],
  },
  {
    name: "'a/c' runs to the maximum",
    field: "minute",
    value: "15/20",
    expect: [range(15, 59, 20)],
  },
  {
    name: "a comma list with spaces",
    field: "second",
    value: " 1 , 2-3 ,*/30 ",
    expect: [range(1, 1), range(2, 3), range(0, 59, 30)],
  },
  { name: "a month name", field: "month", value: "Mar", expect: [range(3, 3)] },
  {
    name: "a month name range",
    field: "month",
    value: "jan-jun",
    expect: [range(1, 6)],
  },
  {
    name: "a weekday name, 0 = Monday",
    field: "day_of_week",
    value: "MON",
    expect: [range(0, 0)],
  },
  {
    name: "a weekday range",
    field: "day_of_week",
    value: "mon-fri",
    expect: [range(0, 4)],
  },
  {
    name: "a weekday range with a step",
    field: "day_of_week",
    value: "mon-sun/2",
    expect: [range(0, 6, 2)],
  },
  {
    name: "'last'",
    field: "day",
    value: "LAST",
    expect: [{ kind: "last-day" }],
  },
  {
    name: "'1st fri'",
    field: "day",
    value: "1st fri",
    expect: [{ kind: "nth-weekday", nth: 1, weekday: 4 }],
  },
  {
    name: "'5th sun' and 'last mon'",
    field: "day",
    value: "5th  sun,last mon",
    expect: [{ kind: "nth-weekday", nth: 5, weekday: 6 }, {
      kind: "nth-weekday",
      nth: 0,
      weekday: 0,
    }],
  },
  {
    name: "a year range",
    field: "year",
    value: "2026-2030",
    expect: [range(2026, 2030)],
  },
  { name: "an ISO week", field: "week", value: 53, expect: [range(53, 53)] },
];

for (const row of PARSE_ROWS) {
  Deno.test(`parseField ${row.field} ${JSON.stringify(row.value)}: ${row.name}`, () => {
    const parsed = parseField(row.field, row.value);
    assertEquals(parsed.problems, []);
    assertEquals(parsed.expressions, row.expect);
  });
}

Deno.test("parseField gives no expressions when any item is bad", () => {
  const parsed = parseField("hour", "1,99");
  assertEquals(parsed.expressions, []);
  assertEquals(parsed.problems.length, 1);
});

const DEFAULT_ROWS: {
  name: string;
  given: Partial<Record<TimeField, string>>;
  expect: string;
}[] = [
  { name: "hour: 10", given: { hour: "10" }, expect: "* * * * * 10 0 0" },
  {
    name: "minute: '*/10'",
    given: { minute: "*/10" },
    expect: "* * * * * * */10 0",
  },
  { name: "year: 2027", given: { year: "2027" }, expect: "2027 1 1 * * 0 0 0" },
  {
    name: "hour and second",
    given: { hour: "10", second: "30" },
    expect: "* * * * * 10 * 30",
  },
  { name: "month", given: { month: "6" }, expect: "* 6 1 * * 0 0 0" },
  { name: "week", given: { week: "10" }, expect: "* * * 10 * 0 0 0" },
  {
    name: "day_of_week",
    given: { day_of_week: "fri" },
    expect: "* * * * fri 0 0 0",
  },
  {
    name: "day and second",
    given: { day: "1", second: "0" },
    expect: "* * 1 * * * * 0",
  },
  { name: "nothing given", given: {}, expect: "* * * * * * * *" },
];

for (const row of DEFAULT_ROWS) {
  Deno.test(`effectiveFields applies the defaults rule: ${row.name}`, () => {
    const fields = effectiveFields(row.given);
    const order: TimeField[] = [
      "year",
      "month",
      "day",
      "week",
      "day_of_week",
      "hour",
      "minute",
      "second",
    ];
    assertEquals(order.map((f) => fields[f].text).join(" "), row.expect);
  });
}
