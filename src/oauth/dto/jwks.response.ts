import { ApiProperty } from '@nestjs/swagger';

export class PublicJwkResponse {
  @ApiProperty({ enum: ['EC'] })
  kty!: string;

  @ApiProperty({ enum: ['P-256'] })
  crv!: string;

  @ApiProperty()
  x!: string;

  @ApiProperty()
  y!: string;

  @ApiProperty({ description: 'RFC 7638 thumbprint; the `kid` header of tokens it signed' })
  kid!: string;

  @ApiProperty({ enum: ['ES256'] })
  alg!: string;

  @ApiProperty({ enum: ['sig'] })
  use!: string;
}

export class JwksResponse {
  @ApiProperty({
    type: [PublicJwkResponse],
    description: 'The current key and, during a rotation, the previous one',
  })
  keys!: PublicJwkResponse[];
}
