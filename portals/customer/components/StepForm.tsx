"use client";

import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Checkbox from "@mui/material/Checkbox";
import FormControl from "@mui/material/FormControl";
import FormControlLabel from "@mui/material/FormControlLabel";
import FormHelperText from "@mui/material/FormHelperText";
import MenuItem from "@mui/material/MenuItem";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";

import { type FieldSpec, type Values, optionLabel } from "@/lib/form";

interface Props {
  fields: FieldSpec[];
  values: Values;
  errors: Record<string, string>;
  onChange: (key: string, value: string | boolean) => void;
  prefix?: string;
}

function Field({ field, values, errors, onChange, prefix = "" }: Omit<Props, "fields"> & { field: FieldSpec }) {
  const key = `${prefix}${field.name}`;
  const error = errors[key];
  const id = `field-${key.replace(/\./g, "-")}`;
  if (field.kind === "group") {
    const count = Number(values[`${key}.count`] ?? 0);
    return (
      <Box component="fieldset" sx={{ border: 0, p: 0, m: 0 }}>
        <Typography component="legend" variant="h6">
          {field.label}
        </Typography>
        {field.hint && <Typography variant="body2">{field.hint}</Typography>}
        {error && (
          <Typography id={id} tabIndex={-1} color="error" role="alert" sx={{ mt: 1, fontWeight: 500 }}>
            {error}
          </Typography>
        )}
        {Array.from({ length: count }, (_, i) => (
          <Stack key={i} spacing={2} sx={{ mt: 2, pl: 2, borderLeft: 4, borderColor: "divider" }}>
            <Typography variant="subtitle1" component="p">
              Earlier address {i + 1}
            </Typography>
            {(field.item ?? []).map((sub) => (
              <Field key={sub.name} field={sub} values={values} errors={errors} onChange={onChange} prefix={`${key}.${i}.`} />
            ))}
            {i === count - 1 && (
              <Button onClick={() => onChange(`${key}.count`, String(count - 1))}>Remove this address</Button>
            )}
          </Stack>
        ))}
        <Button sx={{ mt: 1 }} onClick={() => onChange(`${key}.count`, String(count + 1))}>
          Add an earlier address
        </Button>
      </Box>
    );
  }
  if (field.kind === "checkbox") {
    return (
      <FormControl error={Boolean(error)}>
        <FormControlLabel
          control={<Checkbox id={id} checked={values[key] === true} onChange={(e) => onChange(key, e.target.checked)} />}
          label={field.label}
        />
        {error && <FormHelperText>{error}</FormHelperText>}
      </FormControl>
    );
  }
  const common = {
    id,
    label: field.label,
    value: typeof values[key] === "string" ? (values[key] as string) : "",
    onChange: (e: { target: { value: string } }) => onChange(key, e.target.value),
    error: Boolean(error),
    helperText: error ?? (field.kind === "select" ? undefined : hintFor(field)),
    required: field.required,
    fullWidth: true,
  };
  if (field.kind === "select") {
    return (
      <TextField {...common} select>
        {(field.options ?? []).map((option) => (
          <MenuItem key={option} value={option}>
            {optionLabel(option)}
          </MenuItem>
        ))}
      </TextField>
    );
  }
  if (field.kind === "date") {
    return <TextField {...common} type="date" slotProps={{ inputLabel: { shrink: true } }} />;
  }
  return (
    <TextField
      {...common}
      slotProps={{ htmlInput: { inputMode: field.kind === "text" ? "text" : field.kind === "money" ? "decimal" : "numeric" } }}
    />
  );
}

function hintFor(field: FieldSpec): string | undefined {
  if (field.name.endsWith("mobile")) return "For example 07700 900123";
  if (field.name.endsWith("sort_code")) return "Six digits, for example 12-34-56";
  if (field.name.endsWith("account_number")) return "Eight digits";
  return undefined;
}

export default function StepForm(props: Props) {
  return (
    <Stack spacing={2}>
      {props.fields.map((field) => (
        <Field key={field.name} field={field} values={props.values} errors={props.errors} onChange={props.onChange} prefix={props.prefix} />
      ))}
    </Stack>
  );
}
