import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { FieldValidationException } from './errors.js';
import { findForbiddenNull, RequestValuesPipe } from './request-values.pipe.js';

class InnerDto {
  @ApiPropertyOptional()
  label?: string;

  @ApiPropertyOptional({ type: Number, nullable: true })
  price?: number | null;
}

class OuterDto {
  @ApiPropertyOptional()
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true })
  note?: string | null;

  @ApiPropertyOptional({ type: () => InnerDto })
  inner?: InnerDto;

  @ApiProperty({ type: () => [InnerDto] })
  items: InnerDto[];
}

describe('findForbiddenNull', () => {
  it('names a null the DTO does not declare nullable, at any depth', () => {
    expect(findForbiddenNull({ name: null, items: [] }, OuterDto)).toBe('name');
    expect(findForbiddenNull({ inner: { label: null }, items: [] }, OuterDto)).toBe('inner.label');
    expect(findForbiddenNull({ items: [{ label: 'a' }, { label: null }] }, OuterDto)).toBe('items.1.label');
    expect(findForbiddenNull({ items: null }, OuterDto)).toBe('items');
  });

  it('takes null where it is declared nullable, and leaves unknown fields to validation', () => {
    expect(findForbiddenNull({ note: null, inner: { price: null }, items: [{ price: null }], extra: null }, OuterDto)).toBeNull();
    expect(findForbiddenNull(null, OuterDto)).toBeNull();
  });
});

describe('RequestValuesPipe', () => {
  const pipe = new RequestValuesPipe();
  const refusal = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return (error as FieldValidationException).details;
    }
    return null;
  };

  it('refuses unstorable text in bodies, queries and path values, naming the field', () => {
    expect(refusal(() => pipe.transform({ name: 'a\u0000' }, { type: 'body', metatype: OuterDto }))).toEqual([{ field: 'name', messages: [expect.stringContaining('cannot be stored')] }]);
    expect(refusal(() => pipe.transform('x\u0000', { type: 'query', data: 'token' }))).toEqual([{ field: 'token', messages: [expect.any(String)] }]);
    expect(refusal(() => pipe.transform({ id: '\ud800' }, { type: 'param' }))).toEqual([{ field: 'id', messages: [expect.any(String)] }]);
  });

  it('refuses a forbidden null in a body only, and passes everything else through untouched', () => {
    expect(refusal(() => pipe.transform({ name: null, items: [] }, { type: 'body', metatype: OuterDto }))).toEqual([{ field: 'name', messages: [expect.stringContaining('must not be null')] }]);
    const body = { note: null, items: [] };
    expect(pipe.transform(body, { type: 'body', metatype: OuterDto })).toBe(body);
    expect(pipe.transform({ anything: '\u0000' }, { type: 'custom' })).toEqual({ anything: '\u0000' });
  });
});
