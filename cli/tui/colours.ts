/*
 * Colour on or off, for every view of the live view.
 *
 * The views use colour only as a second signal: every coloured thing also has a mark that needs no
 * colour (a '*' on a changed register, '>' and a double border on the focused pane, letters in the
 * dirty grid). So when the user asks for no colour (NO_COLOR set to anything but the empty string,
 * as https://no-color.org says), the views drop every foreground and border colour and keep bold,
 * dim and inverse, which are not colours.
 *
 * The container provides the choice through ColourContext; a view asks for it with useTint() and
 * passes each colour through the tint it gets. Invariant: with colour off, a tint returns
 * undefined for every colour, so Ink emits no colour SGR code at all.
 */
import { createContext, useContext } from 'react';

/** A colour for Ink's color / borderColor props, or undefined for none. */
export type Tint = (colour: string | undefined) => string | undefined;

const keep: Tint = (colour) => colour;
const drop: Tint = () => undefined;

/** Whether the environment lets the live view draw in colour (NO_COLOR unset or empty). */
export function coloursWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === '';
}

export const ColourContext = createContext(true);

/** The tint for the views below the nearest ColourContext provider (colour on without one). */
export function useTint(): Tint {
  return useContext(ColourContext) ? keep : drop;
}
