export const ACCOUNT_TYPES = ['GEN', 'REV', 'COM'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

export const ACCOUNT_STATUSES = ['ACTIVE', 'SUSPENDED', 'CLOSED', 'MERGED'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];
/** The statuses an owner may set (MERGED is set only by a merge). */
export const SETTABLE_STATUSES = ['ACTIVE', 'SUSPENDED', 'CLOSED'] as const satisfies readonly AccountStatus[];
export type SettableStatus = (typeof SETTABLE_STATUSES)[number];

/** The access a portfolio's owner may grant to other users (operators and viewers). */
export const GRANT_ROLES = ['operator', 'viewer'] as const;
export type GrantRole = (typeof GRANT_ROLES)[number];

export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** ALL-USE runs in weekly cycles, 52 to a year: annualised returns and volatility, and projected years. */
export const WEEKS_PER_YEAR = 52;
