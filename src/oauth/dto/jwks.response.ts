import { ApiProperty } from '@nestjs/swagger';

export class PublicJwkResponse {
  @ApiProperty({ enum: ['EC'] })
  kty!: string;

  @ApiProperty({ enum: ['P-256'] })
  crv!: string;

  x!: string;

  y!: string;

  /** RFC 7638 thumbprint; the `kid` header of tokens it signed */
  kid!: string;

  @ApiProperty({ enum: ['ES256'] })
  alg!: string;

  @ApiProperty({ enum: ['sig'] })
  use!: string;
}

export class JwksResponse {
  /** The current key and, during a rotation, the previous one */
  keys!: PublicJwkResponse[];
}
