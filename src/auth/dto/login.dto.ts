import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';

/** Login does not enforce the registration password policy: a wrong password is a 401, not a 400. */
export class LoginDto {
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(128)
  password!: string;
}
