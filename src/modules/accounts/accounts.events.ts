/**
 * Announced after a change that moves no money commits: an account's configuration or status, or
 * who may see a portfolio. Caches listen.
 */
export class PortfolioChangedEvent {
  static readonly topic = 'portfolio.changed';

  constructor(
    readonly portfolioId: string,
    readonly accountIds: string[] = [],
    /** Users whose access to the portfolio was given or revoked. */
    readonly granteeIds: string[] = [],
  ) {}
}
