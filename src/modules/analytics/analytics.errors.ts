import { invalidField } from '@app/errors';

export const invalidPeriod = () => invalidField('from', 'must be before to');
