export const ACCOUNT_TYPES = ['GEN', 'REV', 'COM'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

export const ACCOUNT_STATUSES = ['ACTIVE', 'SUSPENDED', 'CLOSED', 'MERGED'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const WEEKDAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
