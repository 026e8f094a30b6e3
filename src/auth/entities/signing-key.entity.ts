import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A generated ES256 key pair, kept so restarts and other instances sign with the same key. */
@Entity({ name: 'signing_keys' })
export class SigningKey {
  @PrimaryColumn({ type: 'text' })
  kid!: string;

  @Column({ name: 'private_key_pem', type: 'text' })
  privateKeyPem!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
