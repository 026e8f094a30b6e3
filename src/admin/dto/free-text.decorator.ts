import { IsText } from '../../common/validation/is-text.decorator';

/** An admin's reason: up to 500 characters of text, no control characters (they forge log lines). */
export const IsReason = (): PropertyDecorator => IsText(500);
