/*
 * The box every pane is drawn in: a border, and a title line naming the pane and its number key.
 * Focus is shown without relying on colour: the focused pane has a double border and its title
 * starts with '>' and is drawn in inverse video. Content is clipped to the box vertically
 * (overflowY hidden), so a view that draws a line too many cannot push the layout around. Across,
 * Ink already wraps a Text to its box's width, and the views cut their lines to width themselves
 * (format.ts clip); a horizontal clip would only add Ink's slice-ansi pass over every line of every
 * frame (a fifth of what a frame cost), so there is none.
 */
import type { ReactElement, ReactNode } from 'react';
import { Box, Text } from 'ink';
import { clip } from './format.js';
import { useTint } from './colours.js';

export interface PaneFrameProps {
  readonly title: string;
  readonly index: number;
  readonly focused: boolean;
  readonly width: number;
  readonly height: number;
  /** Extra words after the title, e.g. the fault filter. */
  readonly detail?: string;
  readonly children?: ReactNode;
}

export function PaneFrame({
  title,
  index,
  focused,
  width,
  height,
  detail,
  children,
}: PaneFrameProps): ReactElement {
  const tint = useTint();
  const label = clip(
    `${focused ? '>' : ' '}${index} ${title}${detail ? '  ' + detail : ''}`,
    Math.max(1, width - 2),
  );
  return (
    <Box
      flexDirection="column"
      width={width}
      height={height}
      borderStyle={focused ? 'double' : 'single'}
      borderColor={tint(focused ? 'cyan' : undefined)}
      overflowY="hidden"
    >
      <Text inverse={focused} bold>
        {label}
      </Text>
      <Box flexDirection="column" overflowY="hidden" height={Math.max(1, height - 3)}>
        {children}
      </Box>
    </Box>
  );
}
