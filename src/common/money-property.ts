/** The Swagger options of an amount in a view: a decimal string in USD, as the API writes every amount. */
export const MONEY = { type: String, example: '1250.00', description: 'USD, decimal string with two decimals' };
